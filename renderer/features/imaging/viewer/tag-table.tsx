import type { TagRow } from '../../../../shared/dicom/tag-list';

/** Data elements as a table (tag, VR, name, value), sequence items indented: the tag browser's and the quarantine raw view's. */
export function TagTable({ rows, labelledBy }: { rows: readonly TagRow[]; labelledBy: string }) {
  return (
    <table className="data-table data-table--compact" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col">VR</th>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={`${index}:${row.tag}`}>
            <th scope="row" className="viewer-tags__tag">
              <span className={`viewer-tags__depth viewer-tags__depth--${Math.min(row.depth, 6)}`}>{row.tag}</span>
            </th>
            <td>{row.vr}</td>
            <td>{row.name}</td>
            <td className="viewer-tags__value">{row.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
