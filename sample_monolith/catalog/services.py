"""Public API of the catalogue: what is for sale and how it is organised."""
from typing import Any

from django.db.models import Count
from django.utils.text import slugify

from catalog.exceptions import CategoryNotFound, ProductNotFound
from catalog.models import Brand, Category, Product, ProductQuerySet, Tag


def list_products(*, category_slug: str | None = None, query: str = "", brand_slug: str | None = None) -> ProductQuerySet:
    """Active products, optionally within a category subtree, a brand, or matching a search text."""
    products = Product.objects.active().select_related("category", "brand").prefetch_related("tags")
    if category_slug:
        products = products.in_category(get_category(category_slug))
    if brand_slug:
        products = products.filter(brand__slug=brand_slug)
    if query:
        products = products.search(query)
    return products


def get_category(slug: str) -> Category:
    try:
        return Category.objects.get(slug=slug)
    except Category.DoesNotExist as exc:
        raise CategoryNotFound(f"no category {slug!r}") from exc


def get_product(product_id: int, *, active_only: bool = True) -> Product:
    products = Product.objects.active() if active_only else Product.objects.all()
    try:
        return products.select_related("category", "brand").get(pk=product_id)
    except Product.DoesNotExist as exc:
        raise ProductNotFound(f"no product {product_id}") from exc


def get_product_by_slug(slug: str) -> Product:
    try:
        return Product.objects.active().select_related("category", "brand").get(slug=slug)
    except Product.DoesNotExist as exc:
        raise ProductNotFound(f"no product {slug!r}") from exc


def products_by_ids(product_ids: list[int]) -> dict[int, Product]:
    return Product.objects.in_bulk(product_ids)


def category_tree() -> list[dict[str, Any]]:
    """Top-level categories with their children and product counts, for navigation."""
    categories = list(Category.objects.annotate(product_count=Count("products")).order_by("position", "name"))
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)

    def build(node: Category) -> dict[str, Any]:
        children = [build(child) for child in by_parent.get(node.pk, [])]
        return {
            "slug": node.slug,
            "name": node.name,
            "products": node.product_count + sum(c["products"] for c in children),
            "children": children,
        }

    return [build(root) for root in by_parent.get(None, [])]


def product_as_dict(product: Product) -> dict[str, Any]:
    image = product.main_image
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "slug": product.slug,
        "category": product.category.slug,
        "brand": product.brand.name if product.brand else None,
        "tags": sorted(tag.name for tag in product.tags.all()),
        "image": image.url if image else None,
        "weight_grams": product.weight_grams,
    }


def deactivate_product(product_id: int) -> Product:
    product = get_product(product_id, active_only=False)
    product.is_active = False
    product.save(update_fields=["is_active", "updated_at"])
    return product


def create_category(name: str, slug: str, *, parent_slug: str | None = None, position: int = 0) -> Category:
    parent = get_category(parent_slug) if parent_slug else None
    return Category.objects.create(name=name, slug=slug, parent=parent, position=position)


def create_product(
    *, sku: str, name: str, category_slug: str, slug: str | None = None, description: str = "",
    weight_grams: int = 500, tags: list[str] | None = None, brand: str | None = None,
) -> Product:
    """Back-office: add a product to the catalogue."""
    product = Product.objects.create(
        sku=sku,
        name=name,
        slug=slug or slugify(f"{name}-{sku}"),
        category=get_category(category_slug),
        brand=Brand.objects.get_or_create(name=brand, defaults={"slug": slugify(brand)})[0] if brand else None,
        description=description,
        weight_grams=weight_grams,
    )
    if tags:
        product.tags.set(Tag.objects.get_or_create(name=tag)[0] for tag in tags)
    return product
