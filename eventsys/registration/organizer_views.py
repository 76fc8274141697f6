"""(Being built.)"""
from flask import Blueprint

bp = Blueprint("registration_admin", __name__)
