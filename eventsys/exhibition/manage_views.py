"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_manage_views", __name__)
