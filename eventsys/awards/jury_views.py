"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_jury_views", __name__)
