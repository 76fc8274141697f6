"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_poll_views", __name__)
