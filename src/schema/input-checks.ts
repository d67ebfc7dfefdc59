import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLResolveInfo,
} from 'graphql';
import type { Context } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { characters } from '../resolvers/characters.js';

/**
 * Every String and ID argument, nested input fields and list items included,
 * is checked once here, before any resolver sees it: no NUL (PostgreSQL text
 * cannot hold one, so it used to surface as an internal error), no lone UTF-16
 * surrogate (PostgreSQL would store U+FFFD instead, so what was read back
 * differed from what was written), and at most MAX_STRING_LENGTH characters
 * (code points). A refusal is BAD_USER_INPUT with `extensions.argument`
 * naming the argument, e.g. `input.description`. Domain rules (a cron, a URL,
 * shorter limits) stay in src/resolvers.
 */
// In a `u` regex a surrogate pair is one code point, so this matches only halves that stand alone.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function checkString(value: string, argument: string, maxLength: number): void {
  if (value.includes('\u0000')) throw new BadUserInputError(`${argument} must not contain NUL characters`, { argument });
  if (LONE_SURROGATE.test(value)) throw new BadUserInputError(`${argument} must be well-formed Unicode (it has a lone surrogate)`, { argument });
  // A UTF-16 length within the limit has at most as many code points: count them only when it is not.
  if (value.length > maxLength && characters(value) > maxLength) {
    throw new BadUserInputError(`${argument} may be at most ${maxLength} characters long`, { argument });
  }
}

function checkValue(value: unknown, type: GraphQLInputType, path: string, maxLength: number): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return checkValue(value, type.ofType, path, maxLength);
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((item, i) => checkValue(item, type.ofType, `${path}[${i}]`, maxLength));
    return;
  }
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    for (const [name, field] of Object.entries(fields)) {
      checkValue((value as Record<string, unknown>)[name], field.type, `${path}.${name}`, maxLength);
    }
    return;
  }
  if (isScalarType(type) && typeof value === 'string') checkString(value, path, maxLength);
}

/** Whether any argument of the field can carry a string; most fields skip the walk entirely. */
const carriesStrings = new WeakMap<GraphQLField<unknown, unknown>, boolean>();

function hasStringInput(type: GraphQLInputType, seen = new Set<unknown>()): boolean {
  const named = getNamedType(type);
  if (seen.has(named)) return false;
  seen.add(named);
  if (isInputObjectType(named)) return Object.values(named.getFields()).some((field) => hasStringInput(field.type, seen));
  return isScalarType(named) && (named.name === 'String' || named.name === 'ID');
}

export function checkArguments(args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo): void {
  const field = info.parentType.getFields()[info.fieldName];
  if (!field) return;
  let strings = carriesStrings.get(field);
  if (strings === undefined) carriesStrings.set(field, (strings = field.args.some((arg) => hasStringInput(arg.type))));
  if (!strings) return;
  for (const arg of field.args) checkValue(args[arg.name], arg.type, arg.name, ctx.config.maxStringLength);
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

function wrap<Types extends SchemaTypes>(resolver: Resolver<Types>): Resolver<Types> {
  return (parent, args, ctx, info) => {
    checkArguments(args as Record<string, unknown>, ctx as Context, info);
    return resolver(parent, args, ctx, info);
  };
}

/** The plugin: listed after scope-auth, so an unauthorised caller is refused before its input is judged. */
export class InputChecksPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Resolver<Types>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> {
    // A subscription's arguments are checked once, when it subscribes.
    if (Object.keys(fieldConfig.args).length === 0 || fieldConfig.kind === 'Subscription') return resolver;
    return wrap(resolver);
  }

  override wrapSubscribe(subscribe: Resolver<Types> | undefined, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> | undefined {
    if (!subscribe || Object.keys(fieldConfig.args).length === 0) return subscribe;
    return wrap(subscribe);
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputChecks: InputChecksPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin('inputChecks', InputChecksPlugin);
