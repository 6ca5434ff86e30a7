/** The job API suite on the embedded store. */

import { bootEmbedded, jobApiSuite } from "./job_api_suite.ts";

jobApiSuite("embedded", bootEmbedded);
