import { GraphQLError } from 'graphql';

/** Errors the API shows to clients; anything else is masked by yoga. */
export class DomainError extends GraphQLError {
  constructor(message: string, code: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export class BadUserInputError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, 'BAD_USER_INPUT', extra);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'A valid bearer token is required') {
    super(message, 'UNAUTHENTICATED');
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Your role does not allow this') {
    super(message, 'FORBIDDEN');
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, 'NOT_FOUND', extra);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(message, 'CONFLICT', extra);
  }
}
