"""Storefront pages. Each view composes the public services of the apps;
business rules live in those services, not here."""
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from accounts.forms import AddressForm, SignUpForm
from accounts.services import add_address, list_addresses, register_user
from cart.services import add_item, apply_coupon, cart_summary, remove_coupon, set_quantity
from catalog.exceptions import CategoryNotFound, ProductNotFound
from catalog.services import category_tree, get_product_by_slug, list_products
from core.exceptions import ServiceError
from inventory.services import availability, available_quantity
from notifications.services import list_notifications, mark_all_read
from orders.models import Order
from orders.services import cancel_order, checkout as place_and_pay, get_order_by_reference, order_history, orders_for_user
from payments.services import capture_payment, latest_payment, payments_for_order
from pricing.services import price_for, prices_for
from reporting.services import sales_report
from reviews.services import rating_summary, reviews_for_product, submit_review
from shipping.services import dispatch_shipment, record_tracking_event, shipment_for_order
from web.forms import AddToCartForm, CartQuantityForm, CheckoutForm, CouponForm, ReviewForm, SalesReportForm


class ProductListView(ListView):
    template_name = "web/product_list.html"
    context_object_name = "products"
    paginate_by = 24

    def get_queryset(self):
        try:
            return list_products(category_slug=self.request.GET.get("category") or None, query=self.request.GET.get("q", ""))
        except CategoryNotFound as exc:
            raise Http404(exc.message) from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = list(context["products"])
        context["prices"] = prices_for(page)
        context["stock"] = availability([p.pk for p in page])
        context["categories"] = category_tree()
        context["query"] = self.request.GET.get("q", "")
        context["rows"] = [(p, context["prices"].get(p.pk), context["stock"].get(p.pk, 0)) for p in page]
        return context


def product_detail(request, slug: str):
    try:
        product = get_product_by_slug(slug)
    except ProductNotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "web/product_detail.html",
        {
            "product": product,
            "price": price_for(product),
            "available": available_quantity(product.pk),
            "reviews": reviews_for_product(product.pk),
            "rating": rating_summary(product.pk),
            "cart_form": AddToCartForm(initial={"product_id": product.pk}),
            "review_form": ReviewForm(),
        },
    )


def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_user(
                form.cleaned_data["username"],
                form.cleaned_data["email"],
                form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                marketing_opt_in=form.cleaned_data["marketing_opt_in"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome aboard!")
            return redirect("web:product_list")
    return render(request, "web/signup.html", {"form": form})


@login_required
def cart_view(request):
    summary = cart_summary(request.user)
    for message in summary.messages:
        messages.warning(request, message)
    return render(request, "web/cart.html", {"cart": summary, "coupon_form": CouponForm()})


@login_required
@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a quantity between 1 and 20.")
        return redirect(request.POST.get("next") or "web:cart")
    try:
        add_item(request.user, form.cleaned_data["product_id"], form.cleaned_data["quantity"])
    except (ServiceError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Added to your cart.")
    return redirect("web:cart")


@login_required
@require_POST
def cart_update(request, product_id: int):
    form = CartQuantityForm(request.POST)
    if form.is_valid():
        try:
            set_quantity(request.user, product_id, form.cleaned_data["quantity"])
        except (ServiceError, ValueError) as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, "Quantity must be between 0 and 20.")
    return redirect("web:cart")


@login_required
@require_POST
def cart_coupon(request):
    if request.POST.get("remove"):
        remove_coupon(request.user)
        return redirect("web:cart")
    form = CouponForm(request.POST)
    if form.is_valid():
        try:
            apply_coupon(request.user, form.cleaned_data["code"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Coupon applied.")
    return redirect("web:cart")


@login_required
def address_add(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        add_address(request.user, make_default=not list_addresses(request.user), **form.cleaned_data)
        messages.success(request, "Address saved.")
        return redirect(request.GET.get("next") or "web:checkout")
    return render(request, "web/address_form.html", {"form": form})


@login_required
def checkout(request):
    summary = cart_summary(request.user)
    if summary.is_empty:
        messages.info(request, "Your cart is empty.")
        return redirect("web:product_list")
    if not list_addresses(request.user):
        return redirect("web:address_add")
    form = CheckoutForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = place_and_pay(
                request.user,
                address_id=form.cleaned_data["address"],
                shipping_method=form.cleaned_data["shipping_method"],
                card_token=form.cleaned_data["card_token"],
                coupon_code=summary.coupon_code,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("web:cart")
        if not result.ok:
            messages.error(request, f"Payment declined: {result.payment.failure_reason}. Your cart is unchanged.")
            return redirect("web:checkout")
        messages.success(request, f"Thank you! Order {result.order.reference} is confirmed.")
        return redirect("web:order_detail", reference=result.order.reference)
    return render(request, "web/checkout.html", {"cart": summary, "form": form})


@login_required
def order_list(request):
    return render(request, "web/order_list.html", {"orders": orders_for_user(request.user.pk)})


@login_required
def order_detail(request, reference: str):
    user_id = None if request.user.is_staff else request.user.pk
    try:
        order = get_order_by_reference(reference, user_id=user_id)
    except ServiceError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "web/order_detail.html",
        {
            "order": order,
            "lines": order.lines.all(),
            "history": order_history(order.pk),
            "payments": payments_for_order(order.pk),
            "shipment": shipment_for_order(order.pk),
        },
    )


@login_required
@require_POST
def order_cancel(request, reference: str):
    try:
        order = get_order_by_reference(reference, user_id=request.user.pk)
        cancel_order(order.pk, reason="cancelled by customer", actor_id=request.user.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Order {reference} was cancelled.")
    return redirect("web:order_detail", reference=reference)


@login_required
@require_POST
def review_create(request, slug: str):
    try:
        product = get_product_by_slug(slug)
    except ProductNotFound as exc:
        raise Http404(exc.message) from exc
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please give a rating and a title.")
        return redirect(product)
    try:
        review = submit_review(request.user, product.pk, **form.cleaned_data)
    except (ServiceError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        if review.status == "published":
            messages.success(request, "Thanks! Your review is online.")
        else:
            messages.info(request, "Thanks! Your review will appear once a moderator approves it.")
    return redirect(product)


@login_required
def notification_list(request):
    if request.method == "POST":
        mark_all_read(request.user.pk)
        return redirect("web:notifications")
    return render(request, "web/notifications.html", {"notifications": list_notifications(request.user.pk)})


# --- Back office ---------------------------------------------------------------


@staff_member_required
def staff_orders(request):
    orders = (
        Order.objects.filter(status__in=[Order.Status.PLACED, Order.Status.PAID, Order.Status.SHIPPED])
        .select_related("user", "shipment")
        .order_by("placed_at")
    )
    return render(request, "web/staff_orders.html", {"orders": orders})


@staff_member_required
@require_POST
def staff_capture(request, reference: str):
    order = get_order_by_reference(reference)
    payment = latest_payment(order.pk)
    try:
        if payment is None:
            raise ServiceError(f"order {reference} has no payment")
        capture_payment(payment.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Payment of {reference} captured; the parcel can be packed.")
    return redirect("web:staff_orders")


@staff_member_required
@require_POST
def staff_dispatch(request, reference: str):
    order = get_order_by_reference(reference)
    shipment = shipment_for_order(order.pk)
    try:
        if shipment is None:
            raise ServiceError(f"order {reference} has no parcel yet")
        shipment = dispatch_shipment(shipment.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{reference} dispatched, tracking {shipment.tracking_number}.")
    return redirect("web:staff_orders")


@staff_member_required
@require_POST
def staff_delivered(request, reference: str):
    order = get_order_by_reference(reference)
    shipment = shipment_for_order(order.pk)
    try:
        if shipment is None or not shipment.tracking_number:
            raise ServiceError(f"order {reference} was not dispatched")
        record_tracking_event(shipment.tracking_number, "delivered", location="Customer", message="Delivered")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{reference} delivered.")
    return redirect("web:staff_orders")


@staff_member_required
def sales_report_view(request):
    form = SalesReportForm(request.GET or None)
    report = None
    if form.is_valid():
        start, end = form.period()
        report = sales_report(start, end, requested_by=request.user)
    elif not request.GET:
        form = SalesReportForm({})
        form.is_valid()
        start, end = form.period()
        report = sales_report(start, end, requested_by=request.user)
    return render(request, "web/sales_report.html", {"form": form, "report": report})
