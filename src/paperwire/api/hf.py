"""The Hugging Face Hub–compatible papers API (built out by the web issue)."""
from fastapi import APIRouter

router = APIRouter()
