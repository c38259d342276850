import { writeFileSync } from 'node:fs';

import { renderWebApiTypes } from './web-api-types.js';

writeFileSync(new URL('../web/src/api/openapi.gen.ts', import.meta.url), await renderWebApiTypes());
console.log('wrote web/src/api/openapi.gen.ts');
