//! TODO(skeleton): owned by the support work; replaced when it lands.
