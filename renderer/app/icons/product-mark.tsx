/** The HDMS Node mark: a care cross whose arms end in network nodes. Decorative; text names the product. */
export function ProductMark({ className }: { className?: string }) {
  return (
    <svg
      className={className === undefined ? 'product-mark' : `product-mark ${className}`}
      viewBox="0 0 32 32"
      width="28"
      height="28"
      aria-hidden="true"
      focusable="false"
    >
      <rect className="product-mark__tile" x="1" y="1" width="30" height="30" rx="7" />
      <path className="product-mark__cross" d="M16 9v14M9 16h14" strokeWidth="3.2" strokeLinecap="round" fill="none" />
      <circle className="product-mark__node" cx="16" cy="7.5" r="2.3" />
      <circle className="product-mark__node" cx="16" cy="24.5" r="2.3" />
      <circle className="product-mark__node" cx="7.5" cy="16" r="2.3" />
      <circle className="product-mark__node" cx="24.5" cy="16" r="2.3" />
    </svg>
  );
}
