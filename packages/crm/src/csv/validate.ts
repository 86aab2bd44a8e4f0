import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { tmfSchemaId, tmfSharedSchemas, type TmfApi } from '../tmf/schemas.js';
import type { ColumnError } from './fields.js';

const ajv = new Ajv({ allErrors: false, strict: false });
addFormats.default(ajv);

/** The compiled validator of a TM Forum create definition, the one the API's POST route uses. */
export function tmfValidator(api: TmfApi, definition: string): ValidateFunction {
  for (const schema of tmfSharedSchemas(api, [definition])) {
    if (!ajv.getSchema(schema.$id as string)) ajv.addSchema(schema);
  }
  return ajv.getSchema(tmfSchemaId(api, definition)) as ValidateFunction;
}

/**
 * Reports why a document failed its definition, naming the CSV column that holds the member at fault:
 * `columnOf` maps the last member name of the error's path (e.g. emailAddress) to a column (email).
 */
export function reportInvalid(
  errors: ErrorObject[] | null | undefined,
  columnOf: Readonly<Record<string, string>>,
  out: ColumnError[],
): void {
  const error = errors?.[0];
  if (!error) {
    out.push({ message: 'the row does not make a valid resource' });
    return;
  }
  const path = error.instancePath.split('/').filter(Boolean);
  const member =
    (error.params as { missingProperty?: string }).missingProperty ??
    [...path].reverse().find((p) => !/^\d+$/.test(p));
  const column = member ? columnOf[member] : undefined;
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  const message = allowed
    ? `expected one of ${allowed.join(', ')}`
    : `${member ?? 'the row'} ${error.message ?? 'is not valid'}`;
  out.push(column ? { column, message } : { message });
}
