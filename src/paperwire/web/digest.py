"""Digest pages and API routes (built by the digest issue)."""
from fastapi import APIRouter

router = APIRouter()
