"""paperwire's own search API: hybrid search with filters, related papers (built by the search issue)."""
from fastapi import APIRouter

router = APIRouter()
