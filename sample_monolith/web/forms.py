from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.services import list_addresses
from shipping.services import list_methods


class AddToCartForm(forms.Form):
    product_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=1, max_value=20, initial=1)


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=20)


class CouponForm(forms.Form):
    code = forms.CharField(max_length=32)


class CheckoutForm(forms.Form):
    address = forms.TypedChoiceField(coerce=int, label="Deliver to")
    shipping_method = forms.ChoiceField(label="Delivery")
    card_token = forms.CharField(
        max_length=64, initial="tok_visa_4242", help_text="Test cards: tok_visa_4242 pays, tok_decline_0002 is declined."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].choices = [(a.pk, str(a)) for a in list_addresses(user)]
        self.fields["shipping_method"].choices = [(m.code, str(m)) for m in list_methods()]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(coerce=int, choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)])
    title = forms.CharField(max_length=120)
    body = forms.CharField(widget=forms.Textarea, required=False)


class SalesReportForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def period(self):
        end = self.cleaned_data.get("end") or timezone.localdate()
        start = self.cleaned_data.get("start") or end - timedelta(days=29)
        return start, end

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError("The end date is before the start date.")
        return cleaned
