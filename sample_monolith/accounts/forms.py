from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Address, User


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name", "marketing_opt_in"]


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["label", "full_name", "line1", "line2", "city", "postcode", "country"]
