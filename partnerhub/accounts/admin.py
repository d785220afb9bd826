from django.contrib import admin

from partnerhub.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["public_id", "date_joined", "last_login"]
    exclude = ["password"]
