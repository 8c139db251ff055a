from core.exceptions import NotFound, PermissionDenied, ServiceError


class ReviewNotFound(NotFound):
    code = "review_not_found"


class DuplicateReview(ServiceError):
    code = "duplicate_review"
    status = 409


class CannotVote(PermissionDenied):
    code = "cannot_vote"
