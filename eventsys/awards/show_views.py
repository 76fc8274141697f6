"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_show_views", __name__)
