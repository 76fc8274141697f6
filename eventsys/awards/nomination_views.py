"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_nomination_views", __name__)
