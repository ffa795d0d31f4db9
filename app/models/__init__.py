"""ORM models, re-exported so Alembic sees the whole metadata."""

from app.models.alert_rule import AlertRule
from app.models.api_key import ApiKey, Role
from app.models.article import Article, DocumentKind, TextState
from app.models.article_watchlist import ArticleWatchlist
from app.models.base import Base, utcnow
from app.models.change import Change, ChangeKind
from app.models.claim import Claim, ClaimMatch
from app.models.entity import WatchedEntity
from app.models.entity_job import EntityJob
from app.models.fetch_attempt import FetchAttempt
from app.models.heartbeat import Heartbeat
from app.models.issue import DismissReason, Issue, IssueArticle, IssueStatus
from app.models.issue_event import IssueEvent
from app.models.issue_response import IssueResponse, ResponseKind
from app.models.label import LabelOverride
from app.models.rematch_job import JobState, RematchJob
from app.models.source import SOCIAL_KINDS, FetchStatus, Source, SourceKind
from app.models.spike_event import SpikeEvent
from app.models.story_group import StoryBand, StoryGroup
from app.models.tombstone import Tombstone
from app.models.watchlist import Watchlist
from app.models.watchlist_search import WatchlistSearchSource
from app.models.web_session import WebSession
from app.models.webhook import Webhook
from app.models.webhook_delivery import DeliveryStatus, WebhookDelivery

__all__ = [
    "SOCIAL_KINDS",
    "AlertRule",
    "ApiKey",
    "Article",
    "ArticleWatchlist",
    "Base",
    "Change",
    "ChangeKind",
    "Claim",
    "ClaimMatch",
    "DeliveryStatus",
    "DismissReason",
    "DocumentKind",
    "EntityJob",
    "FetchAttempt",
    "FetchStatus",
    "Heartbeat",
    "Issue",
    "IssueArticle",
    "IssueEvent",
    "IssueResponse",
    "IssueStatus",
    "JobState",
    "LabelOverride",
    "RematchJob",
    "ResponseKind",
    "Role",
    "Source",
    "SourceKind",
    "SpikeEvent",
    "StoryBand",
    "StoryGroup",
    "TextState",
    "Tombstone",
    "WatchedEntity",
    "Watchlist",
    "WatchlistSearchSource",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
