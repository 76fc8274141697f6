"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_file_views", __name__)
