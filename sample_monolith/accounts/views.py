"""JSON endpoints of the accounts app."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import AddressForm
from accounts.services import add_address, address_as_dict, list_addresses, user_summary
from core.http import login_required_json, service_errors_as_json


@require_GET
@login_required_json
def me(request):
    return JsonResponse(user_summary(request.user.pk))


@require_http_methods(["GET", "POST"])
@login_required_json
@service_errors_as_json
def addresses(request):
    if request.method == "POST":
        form = AddressForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"error": "invalid", "fields": form.errors}, status=400)
        address = add_address(request.user, make_default=request.POST.get("make_default") == "1", **form.cleaned_data)
        return JsonResponse(address_as_dict(address), status=201)
    return JsonResponse({"addresses": [address_as_dict(a) for a in list_addresses(request.user)]})
