"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_public_views", __name__)
