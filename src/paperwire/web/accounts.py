"""Accounts pages and API routes (built by the accounts issue)."""
from fastapi import APIRouter

router = APIRouter()
