// The unit project runs on 2 shared cores next to integration tests that fsync and spawn
// children; Testing Library's default 1 s for findBy/waitFor is a speed assertion under that
// load (the ledger timeline test failed in CI waiting for its second page). Waits still fail
// when what they wait for never happens; they only stop failing when it happens slowly.
if (typeof document !== 'undefined') {
  const { configure } = await import('@testing-library/dom');
  configure({ asyncUtilTimeout: 10_000 });
}
export {};
