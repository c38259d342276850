import type { CatalogTable } from './schema-types.js';

export type DriftKind = 'missing-on-destination' | 'extra-on-destination' | 'type' | 'nullability' | 'generated';

/** One difference between a source table and the destination's table of the same name. */
export interface ColumnDrift {
  column: string;
  kind: DriftKind;
  source: string | null;
  destination: string | null;
}

/** Column-by-column differences (names, types, NOT NULL, generated expressions). Pure. */
export function detectDrift(source: CatalogTable, destination: CatalogTable): ColumnDrift[] {
  const drift: ColumnDrift[] = [];
  const destColumns = new Map(destination.columns.map((column) => [column.name, column]));
  const sourceNames = new Set(source.columns.map((column) => column.name));
  for (const column of source.columns) {
    const other = destColumns.get(column.name);
    if (other === undefined) {
      drift.push({ column: column.name, kind: 'missing-on-destination', source: column.type, destination: null });
      continue;
    }
    if (other.type !== column.type) drift.push({ column: column.name, kind: 'type', source: column.type, destination: other.type });
    if (other.notNull !== column.notNull) {
      drift.push({
        column: column.name,
        kind: 'nullability',
        source: column.notNull ? 'NOT NULL' : 'NULL',
        destination: other.notNull ? 'NOT NULL' : 'NULL',
      });
    }
    if ((other.generated === null) !== (column.generated === null)) {
      drift.push({ column: column.name, kind: 'generated', source: column.generated, destination: other.generated });
    }
  }
  for (const column of destination.columns) {
    if (!sourceNames.has(column.name)) drift.push({ column: column.name, kind: 'extra-on-destination', source: null, destination: column.type });
  }
  return drift;
}

/** `"col": type text on the source, integer on the destination` style lines for messages. */
export function describeDrift(item: ColumnDrift): string {
  switch (item.kind) {
    case 'missing-on-destination':
      return `column "${item.column}" (${item.source}) is missing on the destination`;
    case 'extra-on-destination':
      return `column "${item.column}" (${item.destination}) exists only on the destination`;
    case 'type':
      return `column "${item.column}" is ${item.source} on the source but ${item.destination} on the destination`;
    case 'nullability':
      return `column "${item.column}" is ${item.source} on the source but ${item.destination} on the destination`;
    case 'generated':
      return `column "${item.column}" is ${item.source === null ? 'not ' : ''}generated on the source but ${item.destination === null ? 'not ' : ''}generated on the destination`;
  }
}
