from core.exceptions import NotFound, ServiceError


class RegistrationError(ServiceError):
    code = "registration_failed"


class AddressNotFound(NotFound):
    code = "address_not_found"
