import { GraphQLSchema, lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './viewer.js';
import './audit.js';
import './notification.js';
import './job.js';
import './schedule.js';
import './execution.js';
import './kill.js';
import './scan.js';

// Root types that no domain has filled yet are left out: GraphQL rejects empty types.
function withoutEmptyRoots(built: GraphQLSchema): GraphQLSchema {
  const config = built.toConfig();
  const empty = (type: typeof config.mutation) => (type && Object.keys(type.getFields()).length === 0 ? undefined : type);
  const mutation = empty(config.mutation);
  const subscription = empty(config.subscription);
  const types = config.types.filter((t) => t !== config.mutation || mutation).filter((t) => t !== config.subscription || subscription);
  return new GraphQLSchema({ ...config, mutation, subscription, types });
}

export const schema = lexicographicSortSchema(withoutEmptyRoots(builder.toSchema()));
