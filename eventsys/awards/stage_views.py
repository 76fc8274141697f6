"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_stage_views", __name__)
