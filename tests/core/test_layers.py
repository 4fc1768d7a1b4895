"""The README's picture of the layers is the one the contracts and the imports give today."""

from tests.core import layers


def test_readme_picture_matches_the_contracts_and_the_imports():
    readme = layers.README.read_text()
    assert layers.readme_block(readme) == layers.render(), "the layers changed: run `make layers` and commit README.md"


def test_picture_draws_each_layer_and_each_container_of_the_contract():
    picture = layers.render()
    stack = layers.layers(layers.contracts())
    assert picture.count("subgraph") == len(stack) == len(layers.LAYER_NAMES)
    for container in stack[2]:  # the domain apps, one box each
        assert f'["{container}"]' in picture


def test_every_package_and_module_of_grc_has_a_layer():
    """A new module of grc/ that no layer names would escape every contract: name it in .importlinter."""
    placed = {container for line in layers.layers(layers.contracts()) for container in line}
    grc = layers.ROOT / "grc"
    children = {f"grc.{path.stem}" for path in grc.glob("*.py") if path.stem != "__init__"}
    children |= {f"grc.{path.parent.name}" for path in grc.glob("*/__init__.py")}
    assert children - placed == set()
    assert {"incidents", "access_reviews", "assets"} <= placed
