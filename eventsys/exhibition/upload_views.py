"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_upload_views", __name__)
