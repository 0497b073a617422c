"""RSS/Atom feeds (built out by the web issue)."""
from fastapi import APIRouter

router = APIRouter()
