//! TODO(skeleton): owned by the store work; replaced when it lands.
