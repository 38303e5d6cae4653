// Checks a Grafana dashboard with Grafana's own packages and prints one JSON report:
// - schema_errors: TypeScript diagnostics of the dashboard typed as @grafana/schema's
//   `Dashboard` (the dashboard JSON model generated from Grafana's CUE schema);
// - formatted: for every panel, samples formatted with the panel's unit and decimals by
//   @grafana/data's getValueFormat, the formatter Grafana draws stat values and axes with.
// Usage: node check-dashboard.cjs <node_modules dir> <dashboard.json> <sample>...
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const [modules, dashboardPath, ...samples] = process.argv.slice(2);
const load = (name) => require(path.join(modules, name));

function schemaErrors(dashboardText) {
  const ts = load('typescript');
  const types = path.join(modules, '@grafana/schema/dist/types/raw/dashboard/x/types.gen');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-schema-'));
  const file = path.join(dir, 'dashboard.ts');
  fs.writeFileSync(
    file,
    `import type { Dashboard } from ${JSON.stringify(types)};\n` +
      // JSON holds an enum's string value where TypeScript wants the enum member: map
      // every string enum to the union of its values, keep everything else as typed.
      'type Json<T> = T extends string ? `${T}` : T extends Array<infer U> ? Array<Json<U>> :\n' +
      '  T extends object ? { [K in keyof T]: Json<T[K]> } : T;\n' +
      `export const dashboard: Json<Dashboard> = ${dashboardText};\n`
  );
  const program = ts.createProgram([file], {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2020,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  fs.rmSync(dir, { recursive: true, force: true });
  return diagnostics.map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `line ${line + 1}: ${text}`;
  });
}

function formatted(dashboard) {
  // @grafana/data reads the browser's languages for date formats; node has none.
  globalThis.navigator = globalThis.navigator || { languages: ['en-US'] };
  const data = load('@grafana/data');
  const out = [];
  for (const panel of dashboard.panels || []) {
    if (panel.type === 'row') continue;
    const defaults = (panel.fieldConfig || {}).defaults || {};
    const unit = defaults.unit || 'none';
    const format = data.getValueFormat(unit);
    const values = {};
    for (const sample of samples) {
      values[sample] = data.formattedValueToString(format(Number(sample), defaults.decimals));
    }
    out.push({ id: panel.id, title: panel.title, unit, values });
  }
  return out;
}

const text = fs.readFileSync(dashboardPath, 'utf8');
const report = { schema_errors: schemaErrors(text), formatted: formatted(JSON.parse(text)) };
process.stdout.write(JSON.stringify(report) + '\n');
