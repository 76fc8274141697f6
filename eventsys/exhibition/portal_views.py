"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_portal_views", __name__)
