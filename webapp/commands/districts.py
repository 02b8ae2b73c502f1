"""`odekake import-districts PATH`: 小学校区 (A27), 行政区域 (N03) or any named GeoJSON/shapefile."""

from __future__ import annotations

import click

from webapp.commands.common import fail


@click.command("import-districts")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--name-property", default=None, help="property holding the district name (default: A27_004, N03_004, name, 名称)")
@click.option("--code-property", default=None, help="property holding a unique code (default: A27_003, N03_007, code, id)")
@click.option("--kind", type=click.Choice(["school", "city"]), default="school", show_default=True,
              help="school: districts assigned to places; city: outline for maps and coverage only")
@click.option("--source", default=None, help="label stored with the districts (default: the file name)")
@click.option("--replace", is_flag=True, help="delete stored districts of this kind that are not in the file")
@click.option("--city-code", default=None, help="keep only features of this city (A27_001 / N03_007, e.g. 29209)")
def import_districts(
    path: str, name_property: str | None, code_property: str | None, kind: str, source: str | None, replace: bool,
    city_code: str | None,
) -> None:
    """Import district polygons and assign every place its district (point-in-polygon)."""
    from webapp.extensions import db
    from webapp.listings.districts import import_district_file

    try:
        with db.transaction() as session:
            result = import_district_file(
                session, path, kind=kind, name_property=name_property, code_property=code_property,
                source=source, replace=replace, city_code=city_code,
            )
    except (ValueError, OSError) as exc:
        # Unreadable file: nothing was stored (the transaction rolled back).
        fail(str(exc).splitlines()[0], 2)
        return
    click.echo(
        f"districts ({result.kind}): {result.created} created, {result.updated} updated, {result.removed} removed"
    )
    if result.assign is not None:
        a = result.assign
        click.echo(
            f"places: {a.assigned} of {a.checked} inside a district, {a.outside} outside every district, "
            f"{len(a.changed_place_ids)} changed"
        )
        if a.changed_place_ids:
            click.echo("run `odekake reindex` so search uses the new district names")
