"""(Being built.)"""
from flask import Blueprint

bp = Blueprint("registration_api", __name__, url_prefix="/api/v1")
