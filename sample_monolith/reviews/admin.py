from django.contrib import admin

from reviews.models import Review, ReviewReply, ReviewVote


@admin.action(description="Publish selected reviews")
def publish(modeladmin, request, queryset):
    queryset.update(status=Review.Status.PUBLISHED)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "user", "rating", "title", "status", "verified_purchase", "created_at"]
    list_filter = ["status", "rating", "verified_purchase"]
    search_fields = ["title", "product__name", "user__email"]
    raw_id_fields = ["product", "user"]
    actions = [publish]


@admin.register(ReviewVote)
class ReviewVoteAdmin(admin.ModelAdmin):
    list_display = ["review", "user", "helpful", "created_at"]


@admin.register(ReviewReply)
class ReviewReplyAdmin(admin.ModelAdmin):
    list_display = ["review", "author", "created_at"]
