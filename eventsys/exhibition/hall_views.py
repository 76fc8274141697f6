"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("exhibition_hall_views", __name__)
