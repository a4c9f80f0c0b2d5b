//! The store's slot for the background task started from it (the expiry reaper), known
//! here only as something that can be asked to stop: the store layer does not depend on
//! the reaper built above it.

use std::any::Any;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A task's shared state, as the store's slot sees it.
pub(crate) trait Background: Any + Send + Sync {
    /// Asks the task to stop.
    fn stop(&self);
    /// Neither asked to stop nor ended.
    fn is_active(&self) -> bool;
}

/// The background task currently started from one store, if any.
///
/// Dropping the slot (when the last clone of the store goes) tells that task to stop.
#[derive(Default)]
pub(crate) struct BackgroundSlot {
    current: Mutex<Option<Arc<dyn Background>>>,
}

impl BackgroundSlot {
    /// The slot, locked (a poisoned lock still holds a valid `Option`).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Option<Arc<dyn Background>>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `task` as the concrete state `T` its starter put in the slot.
pub(crate) fn downcast<T: Background>(task: &Arc<dyn Background>) -> Option<Arc<T>> {
    let any: Arc<dyn Any + Send + Sync> = Arc::clone(task) as Arc<dyn Any + Send + Sync>;
    any.downcast::<T>().ok()
}

impl Drop for BackgroundSlot {
    fn drop(&mut self) {
        let current = self
            .current
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = current {
            task.stop();
        }
    }
}
