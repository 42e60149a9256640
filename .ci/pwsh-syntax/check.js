// Syntax check of PowerShell scripts with the tree-sitter PowerShell grammar
// (there is no PowerShell on the build machine).
//
//   node check.js [file.ps1 | directory ...]     default: ../../scripts
//
// Prints file:line:column for every ERROR or MISSING node and exits 1 when
// there is any, 2 when there is nothing to check or the parser is broken.
// Before the real files it parses two canaries - one valid script and one
// with a missing brace - so a parser that silently accepts everything fails
// the check instead of passing it.

import Parser from 'tree-sitter';
// The package's "main" has no extension, which Node warns about for ES modules.
import PowerShell from 'tree-sitter-powershell/bindings/node/index.js';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const parser = new Parser();
parser.setLanguage(PowerShell);

function parse(source) {
  // An explicit buffer size: the binding's default chunking has tripped
  // over long sources in some versions.
  return parser.parse(source, null, { bufferSize: Math.max(64 * 1024, source.length * 2 + 1) });
}

// problems returns { line, column, message } for every ERROR and MISSING
// node, skipping subtrees without errors.
function problems(source) {
  const tree = parse(source);
  const out = [];
  const visit = (node) => {
    if (node.isMissing) {
      out.push({ ...position(node), message: `missing ${JSON.stringify(node.type)}` });
      return;
    }
    if (node.type === 'ERROR') {
      const text = source.slice(node.startIndex, Math.min(node.endIndex, node.startIndex + 60)).split('\n')[0];
      out.push({ ...position(node), message: `syntax error near ${JSON.stringify(text)}` });
    }
    if (!node.hasError && !node.isError) return;
    for (const child of node.children) visit(child);
  };
  visit(tree.rootNode);
  if (tree.rootNode.hasError && out.length === 0) {
    out.push({ line: 1, column: 1, message: 'the parser reports an error it could not locate' });
  }
  return out;
}

function position(node) {
  return { line: node.startPosition.row + 1, column: node.startPosition.column + 1 };
}

function canaries() {
  const good = [
    '[CmdletBinding()]',
    'param([string] $Name = "x", [switch] $Force)',
    'function Get-Thing {',
    '    param([Parameter(Mandatory = $true, Position = 0)] [string] $Id)',
    '    return , @($Id)',
    '}',
    '$h = [ordered]@{ a = Get-Thing -Id "1"; b = @(1, 2) }',
    'try { $x = [Net.WebRequest]::Create("http://x") } catch [Net.WebException] { exit 4 } finally { $null = 1 }',
    '',
  ].join('\n');
  const bad = 'function Broken {\n    if ($true) {\n        "no closing braces"\n';
  if (problems(good).length !== 0) {
    throw new Error('the parser rejects a valid canary script: ' + JSON.stringify(problems(good)));
  }
  if (problems(bad).length === 0) {
    throw new Error('the parser accepts a script with a missing brace');
  }
}

function collect(args) {
  const files = [];
  for (const arg of args) {
    const full = path.resolve(arg);
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full).sort()) {
        if (name.toLowerCase().endsWith('.ps1')) files.push(path.join(full, name));
      }
    } else {
      files.push(full);
    }
  }
  return files;
}

function main() {
  try {
    canaries();
  } catch (e) {
    console.error(`pwsh-syntax: parser self-test failed: ${e.message}`);
    return 2;
  }
  const args = process.argv.slice(2);
  const files = collect(args.length > 0 ? args : [path.join(here, '..', '..', 'scripts')]);
  if (files.length === 0) {
    console.error('pwsh-syntax: no .ps1 files to check');
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const source = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    const found = problems(source);
    const shown = path.relative(process.cwd(), file) || file;
    for (const p of found) console.log(`${shown}:${p.line}:${p.column}: ${p.message}`);
    if (found.length > 0) failed++;
  }
  console.log(`pwsh-syntax: ${files.length - failed} of ${files.length} scripts parse cleanly`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
