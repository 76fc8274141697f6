"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_manage_views", __name__)
