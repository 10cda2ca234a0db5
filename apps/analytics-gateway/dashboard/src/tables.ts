/** Every chart's numbers as an HTML table too: readable by screen readers, copyable, printable. */

export interface Column<Row> {
  label: string;
  /** The raw value (kept in data-value, so tests compare it with the API's answer). */
  value: (row: Row) => string | number | boolean;
  /** What people read; the raw value when absent. */
  format?: (row: Row) => string;
  numeric?: boolean;
  /** A link for the cell (the customer page). */
  href?: (row: Row) => string;
}

export function renderTable<Row>(table: HTMLTableElement, caption: string, columns: Column<Row>[], rows: readonly Row[]): void {
  const doc = table.ownerDocument;
  table.replaceChildren();
  const cap = doc.createElement('caption');
  cap.textContent = caption;
  const head = doc.createElement('thead');
  const headRow = doc.createElement('tr');
  for (const c of columns) {
    const th = doc.createElement('th');
    th.scope = 'col';
    th.textContent = c.label;
    if (c.numeric) th.className = 'num';
    headRow.append(th);
  }
  head.append(headRow);
  const body = doc.createElement('tbody');
  for (const row of rows) {
    const tr = doc.createElement('tr');
    columns.forEach((c, i) => {
      const cell = doc.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) (cell as HTMLTableCellElement).scope = 'row';
      const value = c.value(row);
      const text = c.format ? c.format(row) : String(value);
      cell.dataset.value = String(value);
      if (c.numeric) cell.className = 'num';
      if (c.href) {
        const a = doc.createElement('a');
        a.href = c.href(row);
        a.textContent = text;
        cell.append(a);
      } else cell.textContent = text;
      tr.append(cell);
    });
    body.append(tr);
  }
  table.append(cap, head, body);
  // A table wider than a phone scrolls sideways in its wrapper, which keyboard users must be able to focus to scroll.
  const wrapper = table.parentElement;
  if (wrapper?.classList.contains('table-wrap')) {
    wrapper.tabIndex = 0;
    wrapper.setAttribute('role', 'region');
    wrapper.setAttribute('aria-label', caption);
  }
}
