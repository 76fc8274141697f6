"""(stub: to be written)"""
from flask import Blueprint

bp = Blueprint("awards_results_views", __name__)
