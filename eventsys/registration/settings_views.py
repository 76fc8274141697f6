"""(Being built.)"""
from flask import Blueprint

bp = Blueprint("registration_settings", __name__)
