//! Turns every API error code into what a person sees: title, explanation, action.
