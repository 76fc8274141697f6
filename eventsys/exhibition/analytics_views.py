"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_analytics_views", __name__)
