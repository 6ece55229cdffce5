// Validates an OpenAPI document read from stdin against the official OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator) and Redocly's `recommended` ruleset. Both packages are
// ESM-only, so the Jest test (test/openapi/openapi.test.ts) runs this file as a child process.
import { Validator } from '@seriousme/openapi-schema-validator';
import { createConfig, lintFromString } from '@redocly/openapi-core';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const source = Buffer.concat(chunks).toString('utf8');

const validator = new Validator();
const schema = await validator.validate(JSON.parse(source));

const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });

process.stdout.write(
  JSON.stringify({
    schemaValid: schema.valid,
    schemaErrors: schema.errors ?? [],
    version: validator.version,
    lintErrors: problems
      .filter((problem) => problem.severity === 'error')
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location?.[0]?.pointer}`),
    lintWarnings: problems
      .filter((problem) => problem.severity === 'warn')
      .map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location?.[0]?.pointer}`),
  }),
);
