"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_engagement_views", __name__)
