import { z } from 'zod';

// The CSP has no 'unsafe-eval'. Zod 4 probes `new Function` to compile fast object parsers, which
// the browser reports as a CSP violation; jitless mode parses the same way without that probe.
z.config({ jitless: true });
